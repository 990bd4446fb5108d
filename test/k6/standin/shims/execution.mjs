import { ctx } from './runtime.mjs';

const exec = {
  get scenario() {
    return { name: ctx.scenario.name, iterationInTest: ctx.scenario.iterationInTest, startTime: ctx.testStart };
  },
  vu: {
    get idInTest() {
      return ctx.vu.idInTest;
    },
    metrics: {
      get metadata() {
        return ctx.vu.metadata;
      },
      get tags() {
        return ctx.vu.tags;
      },
    },
  },
  instance: {
    get currentTestRunDuration() {
      return Date.now() - ctx.testStart;
    },
  },
  test: {
    abort(reason) {
      throw new Error(`test aborted: ${reason || ''}`);
    },
  },
};
export default exec;
