// One VU of the stand-in k6: runs the script's init code, then each iteration the main thread sends.
import { parentPort, workerData } from 'node:worker_threads';
import { ctx } from './shims/runtime.mjs';

globalThis.__ENV = workerData.env;
globalThis.__VU = workerData.vu;
const mod = await import(workerData.module);
parentPort.on('message', (m) => {
  if (m.type !== 'iteration') return;
  ctx.scenario.name = m.scenario;
  ctx.scenario.tags = m.tags;
  ctx.scenario.iterationInTest = m.iterationInTest;
  ctx.testStart = m.testStart;
  let result;
  let error;
  try {
    const fn = m.exec === 'default' ? mod.default : mod[m.exec];
    if (typeof fn !== 'function') throw new Error(`no exported function ${m.exec}`);
    result = fn(m.data);
  } catch (e) {
    error = String((e && e.stack) || e);
  }
  parentPort.postMessage({ type: 'done', result: result === undefined ? null : JSON.parse(JSON.stringify(result)), error });
});
parentPort.postMessage({ type: 'ready' });
