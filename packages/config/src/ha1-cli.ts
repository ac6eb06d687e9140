#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { formatUserEntry } from "./ha1-entry.js";

/*
 * sipfleet-ha1 <user> <domain> [password]
 *
 * Prints the users: entry (HA1s, no password) for a config file. Without the password argument
 * (or with "-") the password is the first line of standard input, which keeps it out of shell
 * history and process listings:   printf %s "$PASSWORD" | sipfleet-ha1 alice sipfleet.local
 */

const USAGE = `usage: sipfleet-ha1 <user> <domain> [password]
  Prints the users: entry with the user's HA1 hashes (md5, sha256) for a Sipfleet config file.
  Without a password argument, or with "-", reads the password from the first line of stdin.`;

function main(argv: readonly string[]): number {
  if (argv.includes("-h") || argv.includes("--help")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (argv.length < 2 || argv.length > 3) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const [user = "", domain = "", passwordArg = "-"] = argv;
  let password = passwordArg;
  if (password === "-") {
    if (process.stdin.isTTY) {
      process.stderr.write("sipfleet-ha1: give the password as the third argument or pipe it on stdin\n");
      return 2;
    }
    password = (readFileSync(0, "utf8").split(/\r?\n/, 1)[0] ?? "");
  }
  try {
    process.stdout.write(formatUserEntry(user, domain, password));
    return 0;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    process.stderr.write(`sipfleet-ha1: ${error.message}\n`);
    return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
