export class SharedArray {
  constructor(name, fn) {
    return fn();
  }
}
