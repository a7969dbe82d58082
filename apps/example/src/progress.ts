/**
 * A progress bar: redrawn in place on a terminal; on anything else (a pipe, a CI log) one line at each quarter,
 * so logs stay short.
 */
export interface Progress {
  /** Reports `done` of `total` units. */
  update(done: number): void;
  /** Ends the bar (on a terminal: moves to the next line). */
  finish(): void;
}

export function progressBar(label: string, total: number, unit: string, stream: NodeJS.WriteStream = process.stdout): Progress {
  const width = 30;
  let nextQuarter = 1;
  let finished = false;
  return {
    update(done) {
      const fraction = total === 0 ? 1 : done / total;
      const percent = Math.floor(fraction * 100);
      if (stream.isTTY) {
        const filled = Math.round(fraction * width);
        stream.write(`\r  ${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent).padStart(3)}% ${done}/${total} ${unit}`);
        return;
      }
      while (nextQuarter <= 4 && fraction >= nextQuarter / 4) {
        stream.write(`  ${label}: ${nextQuarter * 25}% (${done}/${total} ${unit})\n`);
        nextQuarter++;
      }
    },
    finish() {
      if (finished) return;
      finished = true;
      if (stream.isTTY) stream.write('\n');
    },
  };
}
