package io.kiln.load;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Writes a suite's results: the text table, results.csv, one .hgrm and one intervals CSV per
 * row, and report.html (self-contained: inline SVG drawn here, no scripts or external styles).
 * Called on the main thread after the runs.
 */
public final class Report {
  private Report() {}

  private static final String[] COLORS = {"#d9480f", "#1c7ed6", "#2b8a3e", "#862e9c"};

  static String fmt(double v) {
    return String.format(Locale.ROOT, "%.3f", v);
  }

  /** One-line summary of a row. */
  static String line(Suite.Row r) {
    if (r.status.equals("not supported")) {
      return r.server + ": " + r.note;
    }
    if (!r.ok()) {
      return r.server + ": failed: " + r.note;
    }
    if (r.readySeconds > 0) {
      return r.server + ": " + r.note;
    }
    LoadRun.Result x = r.result;
    return String.format(Locale.ROOT, "%s: %,.0f ops/s  p50 %s  p99 %s  p99.9 %s  max %s ms  errors %,d%s",
        r.server, x.opsPerSecond(), fmt(x.ms(50)), fmt(x.ms(99)), fmt(x.ms(99.9)), fmt(x.maxMs()),
        x.errors, r.note.isEmpty() ? "" : "  (" + r.note + ")");
  }

  /** Kiln/Redis ratios of ops/s and p99 for a scenario, or null. */
  static double[] ratios(List<Suite.Row> rows, String scenario) {
    Suite.Row k = find(rows, scenario, "kiln");
    Suite.Row r = find(rows, scenario, "redis");
    if (k == null || r == null || !k.ok() || !r.ok()) {
      return null;
    }
    if ((k.result != null && k.result.errors > 0) || (r.result != null && r.result.errors > 0)) {
      return null; // error replies are cheaper than real work: no fair ratio
    }
    double ops = r.opsPerSecond() > 0 ? k.opsPerSecond() / r.opsPerSecond() : Double.NaN;
    double p99 = k.result != null && r.result != null && r.result.ms(99) > 0
        ? k.result.ms(99) / r.result.ms(99) : Double.NaN;
    return new double[] {ops, p99};
  }

  static Suite.Row find(List<Suite.Row> rows, String scenario, String server) {
    return rows.stream().filter(x -> x.scenario.equals(scenario) && x.server.equals(server))
        .findFirst().orElse(null);
  }

  private static String ratio(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
  }

  /** Cells of one table row. */
  static List<String> cells(List<Suite.Row> rows, Suite.Row r) {
    List<String> c = new ArrayList<>();
    c.add(r.scenario);
    c.add(r.server);
    if (!r.ok() || (r.result == null && r.readySeconds <= 0)) {
      c.addAll(List.of("-", "-", "-", "-", "-", "-"));
    } else if (r.readySeconds > 0) {
      c.add(String.format(Locale.ROOT, "%.0f keys/s", r.opsPerSecond()));
      c.addAll(List.of("-", "-", "-", "-", "-"));
    } else {
      LoadRun.Result x = r.result;
      c.add(String.format(Locale.ROOT, "%.0f", x.opsPerSecond()));
      c.add(fmt(x.ms(50)));
      c.add(fmt(x.ms(99)));
      c.add(fmt(x.ms(99.9)));
      c.add(fmt(x.maxMs()));
      c.add(Long.toString(x.errors));
    }
    double[] q = r.server.equals("kiln") ? ratios(rows, r.scenario) : null;
    c.add(q == null ? "" : ratio(q[0]));
    c.add(q == null ? "" : ratio(q[1]));
    c.add(r.status.equals("failed") ? "failed: " + r.note : r.note);
    return c;
  }

  static final List<String> HEADERS = List.of("scenario", "server", "ops/s", "p50 ms", "p99 ms",
      "p99.9 ms", "max ms", "errors", "kiln/redis ops", "kiln/redis p99", "note");

  /** The table as Markdown (readable as plain text too). */
  static String table(List<Suite.Row> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append("| ").append(String.join(" | ", HEADERS)).append(" |\n|");
    HEADERS.forEach(h -> sb.append("---|"));
    sb.append('\n');
    for (Suite.Row r : rows) {
      List<String> c = cells(rows, r);
      c.replaceAll(s -> s.replace("|", "\\|"));
      sb.append("| ").append(String.join(" | ", c)).append(" |\n");
    }
    return sb.toString();
  }

  static final List<String> CACHE_HEADERS = List.of("scenario", "server", "ops/s", "p99 ms",
      "hit ratio", "client hit ratio", "evicted", "used_memory MB", "peak RSS MB", "keys fit",
      "keyspace", "errors", "kiln/redis ops", "kiln/redis p99", "kiln-redis hit (points)",
      "kiln/redis peak RSS");

  /** Cells of one cache-table row. */
  static List<String> cacheCells(List<Suite.Row> rows, Suite.Row r) {
    List<String> c = new ArrayList<>(List.of(r.scenario, r.server));
    CacheMeasure.Stats st = r.cache;
    LoadRun.Result x = r.result;
    if (!r.ok() || x == null || st == null || st.end == null) {
      c.add(r.status.equals("failed") ? "failed: " + r.note : r.note);
      while (c.size() < CACHE_HEADERS.size()) {
        c.add("-");
      }
      return c;
    }
    c.add(String.format(Locale.ROOT, "%.0f", x.opsPerSecond()));
    c.add(fmt(x.ms(99)));
    c.add(String.format(Locale.ROOT, "%.4f", st.hitRatio()));
    c.add(String.format(Locale.ROOT, "%.4f", x.clientHitRatio()));
    c.add(Long.toString(st.evicted()));
    c.add(String.format(Locale.ROOT, "%.1f", st.usedMemoryEnd / 1048576.0));
    c.add(String.format(Locale.ROOT, "%.0f", st.peakRssKb / 1024.0));
    c.add(Long.toString(st.fitKeys));
    c.add(Long.toString(st.keyspace));
    c.add(x.errors == 0 ? "0" : x.errors + " " + x.errorKinds);
    Suite.Row k = find(rows, r.scenario, "kiln");
    Suite.Row o = find(rows, r.scenario, "redis");
    boolean pair = r.server.equals("kiln") && k != null && o != null && k.ok() && o.ok()
        && k.cache != null && o.cache != null && k.cache.end != null && o.cache.end != null
        && k.result != null && o.result != null;
    if (pair) {
      c.add(ratio(o.result.opsPerSecond() > 0 ? k.result.opsPerSecond() / o.result.opsPerSecond() : Double.NaN));
      c.add(ratio(o.result.ms(99) > 0 ? k.result.ms(99) / o.result.ms(99) : Double.NaN));
      c.add(String.format(Locale.ROOT, "%+.2f", 100 * (k.cache.hitRatio() - o.cache.hitRatio())));
      c.add(ratio(o.cache.peakRssKb > 0 ? (double) k.cache.peakRssKb / o.cache.peakRssKb : Double.NaN));
    } else {
      c.addAll(List.of("", "", "", ""));
    }
    return c;
  }

  /** The cache scenarios' table (Markdown), or "" when none ran. */
  static String cacheTable(List<Suite.Row> rows) {
    List<Suite.Row> cr = rows.stream().filter(r -> r.cache != null
        || r.scenario.startsWith("cache-")).toList();
    if (cr.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder("\n| ").append(String.join(" | ", CACHE_HEADERS)).append(" |\n|");
    CACHE_HEADERS.forEach(h -> sb.append("---|"));
    sb.append('\n');
    for (Suite.Row r : cr) {
      List<String> c = cacheCells(rows, r);
      c.replaceAll(v -> v.replace("|", "\\|"));
      sb.append("| ").append(String.join(" | ", c)).append(" |\n");
    }
    return sb.toString();
  }

  static String csvField(String s) {
    return s.contains(",") || s.contains("\"") || s.contains("\n")
        ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }

  static void writeAll(Path dir, String header, List<Suite.Row> rows, String settings) throws IOException {
    StringBuilder csv = new StringBuilder(String.join(",", HEADERS)).append('\n');
    for (Suite.Row r : rows) {
      csv.append(String.join(",", cells(rows, r).stream().map(Report::csvField).toList())).append('\n');
      if (r.result != null && r.result.histogram.getTotalCount() > 0) {
        try (PrintStream ps = new PrintStream(new FileOutputStream(
            dir.resolve(r.scenario + "-" + r.server + ".hgrm").toFile()))) {
          r.result.histogram.outputPercentileDistribution(ps, 1e6);
        }
        StringBuilder iv = new StringBuilder("t_s,count,p50_ms,p99_ms,max_ms\n");
        for (LoadRun.Interval i : r.result.intervals) {
          iv.append(String.format(Locale.ROOT, "%.3f,%d,%.3f,%.3f,%.3f%n", i.t(), i.count(),
              i.p50Ms(), i.p99Ms(), i.maxMs()));
        }
        Files.writeString(dir.resolve(r.scenario + "-" + r.server + "-intervals.csv"), iv);
      }
    }
    Files.writeString(dir.resolve("results.csv"), csv);
    Files.writeString(dir.resolve("table.md"), header + "\n\n" + table(rows) + cacheTable(rows));
    String ct = cacheTable(rows);
    if (!ct.isEmpty()) {
      StringBuilder cc = new StringBuilder(String.join(",", CACHE_HEADERS)).append('\n');
      for (Suite.Row r : rows) {
        if (r.cache != null || r.scenario.startsWith("cache-")) {
          cc.append(String.join(",", cacheCells(rows, r).stream().map(Report::csvField).toList())).append('\n');
        }
      }
      Files.writeString(dir.resolve("cache.csv"), cc);
    }
    Files.writeString(dir.resolve("report.html"), html(header, rows, settings), StandardCharsets.UTF_8);
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  static String html(String header, List<Suite.Row> rows, String settings) {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Kiln load report</title><style>")
        .append("body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}")
        .append("table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}")
        .append("td:first-child,td:nth-child(2),td:last-child,th{text-align:left}")
        .append(".ns{color:#888}.failed{color:#c92a2a}h2{margin-top:36px;font-size:18px}")
        .append("svg{background:#fff;border:1px solid #ddd;margin:6px 6px 0 0}.small{font-size:12px;color:#555}")
        .append("</style></head><body>");
    h.append("<h1>Kiln load report</h1><p>").append(esc(header)).append("</p><p class=\"small\">")
        .append(esc(settings)).append("</p><table><tr>");
    HEADERS.forEach(x -> h.append("<th>").append(esc(x)).append("</th>"));
    h.append("</tr>");
    for (Suite.Row r : rows) {
      String cls = r.ok() ? "" : r.status.equals("failed") ? " class=\"failed\"" : " class=\"ns\"";
      h.append("<tr").append(cls).append('>');
      cells(rows, r).forEach(x -> h.append("<td>").append(esc(x)).append("</td>"));
      h.append("</tr>");
    }
    h.append("</table>");
    Map<String, List<Suite.Row>> byScenario = new LinkedHashMap<>();
    rows.forEach(r -> byScenario.computeIfAbsent(r.scenario, k -> new ArrayList<>()).add(r));
    for (Map.Entry<String, List<Suite.Row>> e : byScenario.entrySet()) {
      List<Suite.Row> rs = e.getValue();
      h.append("<h2>").append(esc(e.getKey())).append(": ").append(esc(rs.get(0).title)).append("</h2>");
      String d = rs.stream().map(r -> r.describe).filter(s -> !s.isEmpty()).findFirst().orElse("");
      if (!d.isEmpty()) {
        h.append("<p class=\"small\">").append(esc(d)).append("</p>");
      }
      for (Suite.Row r : rs) {
        if (!r.ok() || r.result == null) {
          h.append("<p class=\"small\">").append(esc(line(r))).append("</p>");
        }
      }
      List<Suite.Row> charted = rs.stream().filter(r -> r.result != null
          && r.result.histogram.getTotalCount() > 0 && !r.status.equals("failed")).toList();
      if (!charted.isEmpty()) {
        h.append(percentileChart(charted));
        if (Scenarios.NAMES.contains(e.getKey()) && Scenarios.byName(e.getKey()).timeline()) {
          for (Suite.Row r : charted) {
            h.append(timelineChart(r));
          }
        }
      }
    }
    h.append("</body></html>\n");
    return h.toString();
  }

  /** The percentile axis ends at 99.9999%; the max is drawn there. */
  private static final double MAX_X = 1e6;
  private static final int W = 520;
  private static final int H = 320;
  private static final int L = 60;
  private static final int R = 30;
  private static final int T = 28;
  private static final int B = 45;

  /** Kiln orange, Redis blue, whatever the chart holds. */
  static String color(String server, int i) {
    return switch (server) {
      case "kiln" -> COLORS[0];
      case "redis" -> COLORS[1];
      default -> COLORS[(i + 2) % COLORS.length];
    };
  }

  /** A "nice" upper bound for an axis. */
  static double niceMax(double v) {
    if (v <= 0) {
      return 1;
    }
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * p >= v) {
        return m * p;
      }
    }
    return 10 * p;
  }

  /** Latency by percentile, x = 1/(1-p) on a log scale, one line per server. */
  static String percentileChart(List<Suite.Row> rows) {
    double maxX = 100;
    double maxY = 0;
    List<List<double[]>> series = new ArrayList<>();
    for (Suite.Row r : rows) {
      List<double[]> pts = new ArrayList<>();
      Histogram hist = r.result.histogram;
      for (HistogramIterationValue v : hist.percentiles(5)) {
        double p = v.getPercentileLevelIteratedTo() / 100.0;
        double x = Math.min(MAX_X, p >= 1.0 ? Math.max(10, hist.getTotalCount()) : 1 / (1 - p));
        double y = v.getValueIteratedTo() / 1e6;
        pts.add(new double[] {x, y});
        maxX = Math.max(maxX, x);
        maxY = Math.max(maxY, y);
      }
      series.add(pts);
    }
    int decades = (int) Math.ceil(Math.log10(maxX));
    double yMax = niceMax(maxY);
    StringBuilder s = svgOpen("latency by percentile (ms)");
    for (int d = 0; d <= decades; d++) {
      double x = L + (W - L - R) * (double) d / decades;
      s.append(lineEl(x, T, x, H - B, "#eee", 1, null));
      String label = d == 0 ? "0%" : d == 1 ? "90%" : "99" + (d > 2 ? "." + "9".repeat(d - 2) : "") + "%";
      s.append(text(x, H - B + 16, label, "middle"));
    }
    yAxis(s, yMax);
    for (int i = 0; i < series.size(); i++) {
      StringBuilder path = new StringBuilder();
      for (double[] p : series.get(i)) {
        double x = L + (W - L - R) * Math.log10(p[0]) / decades;
        double y = H - B - (H - B - T) * p[1] / yMax;
        path.append(path.length() == 0 ? "M" : "L").append(fmt1(x)).append(',').append(fmt1(y));
      }
      s.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"")
          .append(color(rows.get(i).server, i)).append("\" stroke-width=\"2\"/>");
    }
    List<String> names = rows.stream().map(r -> r.server).toList();
    legend(s, names, names.stream().map(n -> color(n, names.indexOf(n))).toArray(String[]::new));
    s.append(text(L + (W - L - R) / 2.0, H - 8, "percentile (log scale of 1/(1-p))", "middle"));
    return s.append("</svg>").toString();
  }

  /** p50, p99 and max per 100 ms over the measured window, with event markers. */
  static String timelineChart(Suite.Row r) {
    List<LoadRun.Interval> iv = r.result.intervals;
    double maxT = iv.isEmpty() ? 1 : iv.get(iv.size() - 1).t();
    double maxY = niceMax(iv.stream().mapToDouble(LoadRun.Interval::maxMs).max().orElse(1));
    StringBuilder s = svgOpen(r.server + ": latency per 100 ms (ms)");
    yAxis(s, maxY);
    for (int t = 0; t <= (int) Math.ceil(maxT); t++) {
      double x = L + (W - L - R) * t / Math.max(1, maxT);
      if (x <= W - R + 0.5) {
        s.append(text(x, H - B + 16, t + "s", "middle"));
      }
    }
    String[][] kinds = {{"max", "#adb5bd"}, {"p99", "#d9480f"}, {"p50", "#1c7ed6"}};
    for (String[] k : kinds) {
      StringBuilder path = new StringBuilder();
      for (LoadRun.Interval i : iv) {
        double v = k[0].equals("max") ? i.maxMs() : k[0].equals("p99") ? i.p99Ms() : i.p50Ms();
        double x = L + (W - L - R) * i.t() / Math.max(1e-9, maxT);
        double y = H - B - (H - B - T) * v / maxY;
        path.append(path.length() == 0 ? "M" : "L").append(fmt1(x)).append(',').append(fmt1(y));
      }
      s.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(k[1])
          .append("\" stroke-width=\"1.5\"/>");
    }
    int n = 0;
    for (LoadRun.Event e : new ArrayList<>(r.result.events)) {
      double x = L + (W - L - R) * Math.min(e.t(), maxT) / Math.max(1e-9, maxT);
      s.append(lineEl(x, T, x, H - B, "#2b8a3e", 1, "4,3"));
      String label = e.label() + String.format(Locale.ROOT, " (%.1f s)", e.t());
      boolean right = x > L + (W - L - R) * 0.6;
      s.append(text(right ? x - 3 : x + 3, H - B - 8 - 12 * (n++ % 3), label, right ? "end" : "start").replace("<text", "<text fill=\"#2b8a3e\""));
    }
    legend(s, List.of("p50", "p99", "max"), "#1c7ed6", "#d9480f", "#adb5bd");
    s.append(text(L + (W - L - R) / 2.0, H - 8, "seconds into the measured window", "middle"));
    return s.append("</svg>").toString();
  }

  private static StringBuilder svgOpen(String title) {
    StringBuilder s = new StringBuilder();
    s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"")
        .append(H).append("\" font-family=\"sans-serif\" font-size=\"11\">");
    s.append(text(L, 17, title, "start").replace("<text", "<text font-weight=\"bold\""));
    s.append(lineEl(L, H - B, W - R, H - B, "#333", 1, null));
    s.append(lineEl(L, T, L, H - B, "#333", 1, null));
    return s;
  }

  private static void yAxis(StringBuilder s, double yMax) {
    for (int i = 0; i <= 5; i++) {
      double v = yMax * i / 5;
      double y = H - B - (H - B - T) * i / 5.0;
      if (i > 0) {
        s.append(lineEl(L, y, W - R, y, "#eee", 1, null));
      }
      s.append(text(L - 5, y + 4, trim(v), "end"));
    }
  }

  private static void legend(StringBuilder s, List<String> names, String... colors) {
    for (int i = 0; i < names.size(); i++) {
      String c = colors.length > i ? colors[i] : COLORS[i % COLORS.length];
      double x = W - R - 80;
      double y = T + 8 + 16 * i;
      s.append(lineEl(x, y, x + 18, y, c, 3, null));
      s.append(text(x + 23, y + 4, names.get(i), "start"));
    }
  }

  private static String trim(double v) {
    return new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
  }

  private static String fmt1(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String lineEl(double x1, double y1, double x2, double y2, String color, double w, String dash) {
    return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.1f\"%s/>",
        x1, y1, x2, y2, color, w, dash == null ? "" : " stroke-dasharray=\"" + dash + "\"");
  }

  private static String text(double x, double y, String t, String anchor) {
    return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>", x, y, anchor, esc(t));
  }
}
