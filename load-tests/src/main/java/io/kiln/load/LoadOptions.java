package io.kiln.load;

/** Settings of one load run. Built on the main thread, then only read. */
public final class LoadOptions {
  public String host = "127.0.0.1";
  public int port = 6379;
  public int clients = 50;
  public int pipeline = 16;
  /** Total requests per second for open loop; 0 means closed loop. */
  public double rate = 0;
  public String workload = "get-set";
  public String ratio = "1:10";
  public long keys = 100_000;
  public String dist = "uniform";
  public int valueSize = 100;
  public int msetKeys = 10;
  /** MSET and MULTI: none, each or one (see {@link Workload.HashTags}). */
  public String hashTags = "none";
  public double warmupSeconds = 3;
  public double durationSeconds = 10;
  /** Measured replies to stop after (0: stop on duration). */
  public long requests = 0;
  /** Hard stop for count-based runs. */
  public double maxSeconds = 120;
  public int threads = 1;
  public boolean progress = true;
  public String label = "";

  public LoadOptions copy() {
    LoadOptions o = new LoadOptions();
    o.host = host;
    o.port = port;
    o.clients = clients;
    o.pipeline = pipeline;
    o.rate = rate;
    o.workload = workload;
    o.ratio = ratio;
    o.keys = keys;
    o.dist = dist;
    o.valueSize = valueSize;
    o.msetKeys = msetKeys;
    o.hashTags = hashTags;
    o.warmupSeconds = warmupSeconds;
    o.durationSeconds = durationSeconds;
    o.requests = requests;
    o.maxSeconds = maxSeconds;
    o.threads = threads;
    o.progress = progress;
    o.label = label;
    return o;
  }

  public Workload.Spec spec() {
    int[] r = Workload.parseRatio(ratio);
    return new Workload.Spec(Workload.Kind.parse(workload), r[0], r[1],
        KeyChooser.parse(dist, keys), valueSize, msetKeys,
        Workload.HashTags.parse(hashTags));
  }

  public String loopDescription() {
    return rate > 0
        ? String.format("open loop %.0f ops/s, %d conns, max %d in flight each", rate, clients, pipeline)
        : String.format("closed loop, %d conns x pipeline %d", clients, pipeline);
  }
}
