/** A listening port that can go down (refusing connections) and come back on the same number. */
import type { Server, Socket } from 'node:net';

export class PortListener {
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;

  constructor(
    private readonly server: Server,
    private readonly host: string,
  ) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  get port(): number {
    return this.boundPort;
  }

  /** Listens on `port` (0 = a free one) and remembers the port for `up()`. */
  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, this.host, () => {
        this.server.off('error', onError);
        const address = this.server.address();
        this.boundPort = typeof address === 'object' && address ? address.port : port;
        resolve();
      });
    });
  }

  /** Stops accepting and drops every open connection, like a crashed process. */
  down(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    return closed;
  }

  up(): Promise<void> {
    return this.server.listening ? Promise.resolve() : this.listen(this.boundPort);
  }
}
