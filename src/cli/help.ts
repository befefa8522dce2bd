/**
 * `smsotpd <command> --help`: the usage lines of that command, cut from the global usage text,
 * so a command documents itself in one place (its line in USAGE or its ExtraCommand.usage).
 * A line belongs to a command when its first word is the command; indented lines below it
 * (continuations) go with it.
 */
export function commandHelp(usage: string, command: string): string | null {
  const lines = usage.split('\n');
  const out: string[] = [];
  let inside = false;
  for (const line of lines) {
    const m = /^ {2}(\S+)/.exec(line);
    if (m) {
      inside = m[1] === command || m[1]!.split('|').includes(command);
      if (inside) out.push(line);
    } else if (inside && /^ {3,}\S/.test(line)) out.push(line);
    else inside = false;
  }
  if (!out.length) return null;
  return `usage: smsotpd ${command} ...   (options: --config FILE, --debug)\n\n${out.join('\n')}\n`;
}
