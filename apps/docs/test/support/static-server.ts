// A tiny static file server for the built site (.vitepress/dist) on 127.0.0.1, resolving URLs the way a static
// host does for VitePress (`/a/` -> a/index.html, `/a` -> a.html); anything else is the site's 404 page.
import { createServer, type Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { AddressInfo } from 'node:net';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
};

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export interface StaticServer {
  readonly origin: string;
  /** Every request the server answered, with its status. */
  readonly log: { url: string; status: number }[];
  close(): Promise<void>;
}

export async function serveStatic(root: string): Promise<StaticServer> {
  const log: { url: string; status: number }[] = [];
  const server: Server = createServer((request, response) => {
    void (async () => {
      const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
      const path = normalize(join(root, pathname));
      let file: string | undefined;
      if (path === root || path.startsWith(root + sep)) {
        const candidates = pathname.endsWith('/') ? [join(path, 'index.html')] : [path, `${path}.html`, join(path, 'index.html')];
        for (const candidate of candidates) {
          const hidden = candidate.slice(root.length).split(sep).some((part) => part.startsWith('.'));
          if (!hidden && (await isFile(candidate))) {
            file = candidate;
            break;
          }
        }
      }
      const status = file ? 200 : 404;
      const body = await readFile(file ?? join(root, '404.html'));
      log.push({ url: request.url ?? '/', status });
      // One request per connection: no keep-alive sockets outlive a test.
      response.writeHead(status, { 'content-type': TYPES[extname(file ?? '.html')] ?? 'application/octet-stream', connection: 'close' });
      response.end(body);
    })().catch((error: unknown) => {
      response.writeHead(500, { connection: 'close' });
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
