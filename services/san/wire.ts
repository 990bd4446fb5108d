import type { Socket } from 'node:net';

/**
 * Newline-delimited JSON over a socket: the SAN's block protocol, simplified. Messages are small
 * (documents of a clinical record), so a line per message keeps framing trivial.
 */
export function onMessages(socket: Socket, handle: (message: unknown) => void): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => {
    buffered += text;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.length === 0) continue;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        socket.destroy();
        return;
      }
      handle(message);
    }
  });
}

export function send(socket: Socket, message: unknown): boolean {
  if (socket.destroyed) return false;
  return socket.write(JSON.stringify(message) + '\n');
}

/** Unix ms with sub-millisecond precision, comparable across the estate's processes. */
export const wallNow = (): number => performance.timeOrigin + performance.now();
