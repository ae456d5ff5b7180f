/** Error-log files of loads with filtered rows, served by the BE at `ErrorURL` (§3.1). */
import { randomBytes } from 'node:crypto';

export class ErrorLogs {
  private readonly files = new Map<string, string>();

  /** Stores the lines and returns the file name (`error_log_<hex>_<hex>`). */
  write(lines: string[]): string {
    const name = `error_log_${randomBytes(8).toString('hex')}_${randomBytes(8).toString('hex')}`;
    this.files.set(name, lines.map((l) => `${l}\n`).join(''));
    return name;
  }

  read(name: string): string | undefined {
    return this.files.get(name);
  }
}
