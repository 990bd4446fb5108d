import { sample } from './runtime.mjs';

class Metric {
  constructor(name, isTime, type) {
    this.name = name;
    this.type = type;
    this.contains = isTime ? 'time' : 'default';
  }
  add(value, tags) {
    sample(this.name, this.type, this.contains, Number(value), tags);
  }
}
export class Counter extends Metric {
  constructor(name, isTime) {
    super(name, isTime, 'counter');
  }
}
export class Trend extends Metric {
  constructor(name, isTime) {
    super(name, isTime, 'trend');
  }
}
export class Rate extends Metric {
  constructor(name, isTime) {
    super(name, isTime, 'rate');
  }
}
export class Gauge extends Metric {
  constructor(name, isTime) {
    super(name, isTime, 'gauge');
  }
}
