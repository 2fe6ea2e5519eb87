import picocolors from "picocolors";

/** The process the CLI talks to; one object so commands never reach for globals. */
export interface CliIO {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** The arguments after `flowweaver`, as typed: used to print the resume command. */
  readonly args: readonly string[];
}

export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    args: process.argv.slice(2),
  };
}

export type Colors = ReturnType<typeof picocolors.createColors>;

/**
 * Colors for one stream: only on a terminal (picocolors alone also colors pipes when `CI`
 * is set, and plain output must carry no escape codes), never with NO_COLOR or TERM=dumb,
 * always with FORCE_COLOR.
 */
export function colorsFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): Colors {
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0";
  const enabled =
    forced || (stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== "dumb");
  return picocolors.createColors(enabled);
}

/** True when `stream` is a terminal that can redraw in place. */
export function isInteractive(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && env.TERM !== "dumb";
}
