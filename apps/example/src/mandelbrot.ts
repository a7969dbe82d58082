/**
 * The Mandelbrot task module. A pool worker imports this module to find `renderRows`, as Python's
 * multiprocessing imports the module a function was pickled from; it is compiled to `dist/mandelbrot.js`
 * because worker threads on Node.js 20 cannot load `.ts` files. The main thread calls the same function
 * directly for the single-threaded run.
 */
import { defineTasks } from 'multiproc';

/** What to render: the image size, the region of the complex plane, and the iteration limit. */
export interface View {
  width: number;
  height: number;
  centerX: number;
  centerY: number;
  /** Width of the region in the complex plane. */
  span: number;
  maxIterations: number;
}

/** A band of rows, `[startRow, endRow)`. */
export interface RowBand {
  view: View;
  startRow: number;
  endRow: number;
}

/** Colour of an escape time (smooth, so bands blend), black inside the set. */
function colour(iterations: number, maxIterations: number, zx2: number, zy2: number, out: Uint8Array, at: number): void {
  if (iterations >= maxIterations) {
    out[at] = out[at + 1] = out[at + 2] = 0;
    return;
  }
  const smooth = iterations + 1 - Math.log2(Math.log(zx2 + zy2) / 2);
  // A cosine palette cycling with the logarithm of the escape time: deep blue far out, gold and white at the edge.
  const t = 0.45 * Math.log2(Math.max(1, smooth));
  out[at] = Math.round(255 * (0.5 + 0.5 * Math.cos(6.2832 * (t + 0.5))));
  out[at + 1] = Math.round(255 * (0.5 + 0.5 * Math.cos(6.2832 * (t + 0.6))));
  out[at + 2] = Math.round(255 * (0.5 + 0.5 * Math.cos(6.2832 * (t + 0.75))));
}

export default defineTasks(import.meta.url, {
  /**
   * Renders rows `[startRow, endRow)` as PNG scanlines: per row a filter byte (0) and `width` RGB pixels.
   * Pure CPU work: the escape-time iteration for every pixel.
   */
  renderRows({ view, startRow, endRow }: RowBand): Uint8Array {
    const { width, height, centerX, centerY, span, maxIterations } = view;
    const scale = span / width;
    const left = centerX - (width / 2) * scale;
    const top = centerY + (height / 2) * scale;
    const stride = 1 + width * 3;
    const out = new Uint8Array((endRow - startRow) * stride);
    for (let row = startRow; row < endRow; row++) {
      const cy = top - row * scale;
      let at = (row - startRow) * stride + 1; // the filter byte stays 0
      for (let column = 0; column < width; column++, at += 3) {
        const cx = left + column * scale;
        let zx = 0;
        let zy = 0;
        let zx2 = 0;
        let zy2 = 0;
        let i = 0;
        while (i < maxIterations && zx2 + zy2 <= 256) {
          zy = 2 * zx * zy + cy;
          zx = zx2 - zy2 + cx;
          zx2 = zx * zx;
          zy2 = zy * zy;
          i++;
        }
        colour(i, maxIterations, zx2, zy2, out, at);
      }
    }
    return out;
  },
});
