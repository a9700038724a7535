// One cold start, measured inside a fresh Node process: the time to import a
// bundle, and, when an event is given, the time of the first invocation after
// it (clients created, settings parsed, the code key fetched), and the
// process's resident memory afterwards. Prints JSON.
// Usage: node bench/probe.mjs <bundle.mjs> [event.json]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [bundle, eventFile] = process.argv.slice(2);
const started = performance.now();
const cpuBefore = process.cpuUsage();
const module = await import(pathToFileURL(bundle).href);
const imported = performance.now();
const cpu = process.cpuUsage(cpuBefore);
// CPU time spent importing: steadier than wall time on a shared machine, where other work can pause the process.
const importCpuMs = (cpu.user + cpu.system) / 1000;
let firstInvocationMs;
let answer;
if (eventFile) {
  const event = JSON.parse(readFileSync(eventFile, 'utf8'));
  answer = await module.handler(event, { awsRequestId: `probe-${process.pid}`, getRemainingTimeInMillis: () => 20_000 });
  firstInvocationMs = performance.now() - imported;
}
const rssMb = process.memoryUsage().rss / 2 ** 20;
process.stdout.write(`\n${JSON.stringify({ importMs: imported - started, importCpuMs, firstInvocationMs, rssMb, answer })}\n`);
