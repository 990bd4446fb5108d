/** `sig` to `pid`; false when it could not be sent (the process is gone, or not ours). */
export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}
