import type { Harness } from '../../helpers/harness.js';

/** A browser-like client of the console over app.request(): keeps cookies, reads CSRF tokens from pages. */
export class ConsoleClient {
  cookies = new Map<string, string>();
  constructor(
    private readonly h: Harness,
    readonly origin = 'http://localhost',
  ) {}

  private cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: string, path: string, body?: Record<string, string> | FormData, headers: Record<string, string> = {}) {
    const h: Record<string, string> = { ...headers };
    if (this.cookies.size) h.cookie = this.cookieHeader();
    let payload: string | FormData | undefined;
    if (body instanceof FormData) payload = body;
    else if (body) {
      h['content-type'] = 'application/x-www-form-urlencoded';
      payload = new URLSearchParams(body).toString();
    }
    const res = await this.h.core.app.request(
      `${this.origin}${path}`,
      { method, headers: h, body: payload },
      { incoming: { socket: { remoteAddress: '127.0.0.1' } } },
    );
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (value === '' || /Max-Age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, headers: res.headers, text: await res.text(), setCookies: res.headers.getSetCookie() };
  }

  get(path: string) {
    return this.request('GET', path);
  }

  /** A same-origin form post, as the browser sends it (Origin and Sec-Fetch-Site set). */
  post(path: string, body: Record<string, string> | FormData, headers: Record<string, string> = {}) {
    return this.request('POST', path, body, { origin: this.origin, 'sec-fetch-site': 'same-origin', ...headers });
  }

  static csrfOf(html: string): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!m) throw new Error('no CSRF field in the page');
    return m[1]!;
  }

  async login(user = 'admin', password = 'correct horse battery') {
    const page = await this.get('/');
    const r = await this.post('/console/login', { username: user, password, _csrf: ConsoleClient.csrfOf(page.text) });
    return r;
  }

  /** The CSRF token of the logged-in session (from any page). */
  async csrf(): Promise<string> {
    return ConsoleClient.csrfOf((await this.get('/console/system')).text);
  }
}
