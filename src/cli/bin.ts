#!/usr/bin/env node
import { processIO } from "./io.js";
import { main } from "./main.js";

const code = await main(processIO());
// Exit explicitly: a task that left a timer or socket open must not keep the command
// alive once its run is over. Empty writes flush what is still queued on pipes first.
await Promise.all(
  [process.stdout, process.stderr].map(
    (stream) => new Promise<void>((resolve) => stream.write("", () => resolve())),
  ),
);
process.exit(code);
