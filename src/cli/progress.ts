// Progress for long CLI commands: a bar on a terminal, plain lines otherwise (logs, CI, pipes).
import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  update(done: number, detail?: string): void;
  stop(): void;
}

/** `total` may be unknown (undefined): the bar then counts `unit` without a percentage. */
export function progressOf(
  label: string,
  total: number | undefined,
  stream: NodeJS.WriteStream = process.stderr,
  unit = 'events',
): Progress {
  if (stream.isTTY) {
    const bar = new SingleBar(
      {
        format: total === undefined ? `${label} {value} ${unit} {detail}` : `${label} [{bar}] {percentage}% {value}/{total} {detail}`,
        stream,
        hideCursor: true,
      },
      Presets.shades_classic,
    );
    bar.start(total ?? 0, 0, { detail: '' });
    return { update: (done, detail = '') => bar.update(done, { detail }), stop: () => bar.stop() };
  }
  let lastLine = 0;
  return {
    update(done, detail = '') {
      const now = Date.now();
      if (now - lastLine < 1000) return;
      lastLine = now;
      stream.write(`${label}: ${done}${total === undefined ? ` ${unit}` : `/${total}`} ${detail}\n`);
    },
    stop: () => undefined,
  };
}
