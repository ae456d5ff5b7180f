/**
 * Reading a load body on the BE (§2.1): the whole body, or `short` when the client ended before
 * Content-Length bytes (`receive body don't equal with body bytes`), or `closed` if it vanished.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

export type Body = Buffer | 'short' | 'closed';

export class BodyReader {
  /**
   * A body cut short (client half-closes before Content-Length bytes) is a parser error on the
   * socket, reported to the server's `clientError` listener; the read waiting on it answers.
   */
  private readonly shortBody = new WeakMap<Socket, () => void>();

  /** For the server's `clientError` listener: true when a pending read took the error. */
  onClientError(err: NodeJS.ErrnoException, socket: Socket): boolean {
    const onShortBody = this.shortBody.get(socket);
    if (!onShortBody || err.code !== 'HPE_INVALID_EOF_STATE') return false;
    onShortBody();
    return true;
  }

  read(req: IncomingMessage): Promise<Body> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      const socket = req.socket;
      const settle = (value: Body) => {
        this.shortBody.delete(socket);
        resolve(value);
      };
      this.shortBody.set(socket, () => settle('short'));
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => settle(Buffer.concat(chunks)));
      req.on('close', () => {
        if (!req.complete && this.shortBody.has(socket)) setImmediate(() => this.shortBody.has(socket) && settle('closed'));
      });
    });
  }
}
