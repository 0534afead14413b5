// BullMQ, unchanged, adding and processing 1,000 jobs on the server at 127.0.0.1:PORT
// (run by io.kiln.server.BullMqTest against Kiln and redis-server 7.0):
//   node jobs.mjs PORT
// The jobs follow the rules of io.kiln.server.LuaJobQueueTest: job n (1..1000) is delayed 30 ms
// when n % 50 == 0; processing fails with "boom n" when n % 97 == 0, with "transient n" on the
// first attempt when n % 10 == 3 (retried after a fixed 20 ms backoff when n % 20 == 3, at once
// otherwise), and returns n*n else; 3 attempts each. Prints one line per job,
// "n state attemptsMade returnvalue-or-reason", then "counts c f" and "done"; exits non-zero on
// any error or after 60 s.
import { Queue, Worker } from 'bullmq';

const port = Number(process.argv[2]);
const JOBS = 1000;
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
const timer = setTimeout(() => {
  console.error('timed out');
  process.exit(2);
}, 60_000);

const queue = new Queue('kiln-jobs', { connection });
let worker;
try {
  await queue.obliterate({ force: true });
  const jobs = [];
  for (let n = 1; n <= JOBS; n++) {
    const opts = { attempts: 3, removeOnComplete: false, removeOnFail: false };
    if (n % 50 === 0) opts.delay = 30;
    if (n % 20 === 3) opts.backoff = { type: 'fixed', delay: 20 };
    jobs.push({ name: 'job', data: { n }, opts });
  }
  for (let i = 0; i < jobs.length; i += 100) {
    await queue.addBulk(jobs.slice(i, i + 100));
  }
  worker = new Worker('kiln-jobs', async (job) => {
    const n = job.data.n;
    if (n % 97 === 0) throw new Error(`boom ${n}`);
    if (n % 10 === 3 && job.attemptsMade === 0) throw new Error(`transient ${n}`);
    return n * n;
  }, { connection, concurrency: 8 });
  let workerError;
  worker.on('error', (e) => { workerError = e; });
  for (;;) {
    if (workerError) throw workerError;
    const counts = await queue.getJobCounts('completed', 'failed');
    if (counts.completed + counts.failed >= JOBS) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await worker.close();
  const lines = [];
  for (const state of ['completed', 'failed']) {
    for (const job of await queue.getJobs([state], 0, -1)) {
      const outcome = state === 'completed' ? job.returnvalue : job.failedReason;
      lines.push([job.data.n, state, job.attemptsMade, outcome]);
    }
  }
  lines.sort((a, b) => a[0] - b[0]);
  for (const l of lines) console.log(l.join(' '));
  const counts = await queue.getJobCounts('completed', 'failed', 'wait', 'active', 'delayed');
  console.log(`counts ${JSON.stringify(counts)}`);
  console.log('done');
} catch (e) {
  console.error(`error: ${e.message}`);
  process.exitCode = 1;
} finally {
  if (worker) await worker.close(true).catch(() => {});
  await queue.close().catch(() => {});
  clearTimeout(timer);
}
