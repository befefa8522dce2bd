/**
 * Commands that are not admin API calls (modem tools, the simulator server). Each owns its
 * argument handling; main.ts only routes to them and lists their usage lines.
 */
export interface ExtraCommand {
  name: string;
  usage: string;
  run(args: string[], options: Record<string, string | boolean | undefined>): Promise<number>;
}

export const extraCommands: ExtraCommand[] = [];
