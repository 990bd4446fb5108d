// The stand-in k6's per-VU runtime: synchronous HTTP over a worker message port, metric samples
// posted to the main thread, and the execution context of the current iteration.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';

export const ctx = {
  vu: { idInTest: workerData ? workerData.vu : 0, metadata: {}, tags: {} },
  scenario: { name: '', iterationInTest: 0, tags: {} },
  testStart: workerData ? workerData.testStart : Date.now(),
};

const flag = workerData ? new Int32Array(workerData.flag) : undefined;

/** One HTTP exchange, done by the main thread; this VU waits for it, as a k6 VU does. */
export function httpSync(request) {
  if (!parentPort || !flag) throw new Error('k6 stand-in: HTTP is not available in the init context');
  Atomics.store(flag, 0, 0);
  parentPort.postMessage({ type: 'http', request, context: snapshot() });
  Atomics.wait(flag, 0, 0);
  const msg = receiveMessageOnPort(workerData.port);
  return msg.message;
}

export function sample(metric, type, contains, value, tags) {
  if (!parentPort) return;
  parentPort.postMessage({ type: 'sample', metric, metricType: type, contains, value, tags: tags || {}, context: snapshot() });
}

function snapshot() {
  return { scenario: ctx.scenario.name, scenarioTags: ctx.scenario.tags, vuTags: { ...ctx.vu.tags }, metadata: { ...ctx.vu.metadata } };
}
