import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { execForm, parseCopy, parseStages, type Stage } from "./dockerfile.js";

const HERE = fileURLToPath(new URL("..", import.meta.url));
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/** Image, Dockerfile, workspace package and the file its CMD runs. */
const IMAGES = [
  { image: "sipfleet/edge", file: "edge.Dockerfile", dir: "services/edge", main: "dist/main.js" },
  { image: "sipfleet/proxy", file: "proxy.Dockerfile", dir: "services/proxy", main: "dist/main.js" },
  { image: "sipfleet/registrar", file: "registrar.Dockerfile", dir: "services/registrar", main: "dist/main.js" },
  { image: "sipfleet/location", file: "location.Dockerfile", dir: "services/location", main: "dist/main.js" },
  { image: "sipfleet/admin", file: "admin.Dockerfile", dir: "services/admin", main: "dist/main.js" },
  { image: "sipfleet/all-in-one", file: "all-in-one.Dockerfile", dir: "deploy/local", main: "dist/start.js" },
] as const;

const ROOT_USERS = new Set(["root", "0", "0:0", "root:root"]);

function packageName(dir: string): string {
  return (JSON.parse(readFileSync(join(ROOT, dir, "package.json"), "utf8")) as { name: string }).name;
}

function lastStage(stages: readonly Stage[]): Stage {
  const s = stages.at(-1);
  assert.ok(s, "at least one FROM");
  return s;
}

describe("deploy/docker", () => {
  it("has a Dockerfile for each image and no other", () => {
    const files = readdirSync(HERE).filter((f) => f.endsWith(".Dockerfile")).sort();
    assert.deepEqual(files, IMAGES.map((i) => i.file).sort());
  });

  for (const img of IMAGES) {
    describe(img.image, () => {
      const text = readFileSync(join(HERE, img.file), "utf8");
      const stages = parseStages(text);
      const final = lastStage(stages);
      const pkg = packageName(img.dir);

      it("is multi-stage, the final stage on a Node 20 slim or distroless base", () => {
        assert.ok(stages.length >= 2, `${stages.length} stage(s)`);
        const args = new Map([...text.matchAll(/^ARG\s+(\w+)=(\S+)/gm)].map((m) => [m[1], m[2]]));
        const base = final.from.replace(/^\$\{(\w+)\}$/, (_, k: string) => args.get(k) ?? k);
        assert.match(base, /^(node:20-slim|gcr\.io\/distroless\/nodejs20)/);
      });

      it("builds the workspace and deploys the service with production dependencies only", () => {
        const runs = stages.flatMap((s) => s.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args));
        assert.ok(runs.some((r) => /pnpm install --frozen-lockfile/.test(r)), "installs from the lockfile");
        assert.ok(runs.some((r) => /pnpm (build|-r build)|tsc -b/.test(r)), "compiles");
        const deploy = runs.find((r) => /pnpm\b.*\bdeploy\b/.test(r));
        assert.ok(deploy, "a `pnpm deploy` step");
        assert.match(deploy, /--prod\b/, "no devDependencies");
        assert.match(deploy, new RegExp(`--filter ${pkg.replace("/", "\\/")}\\b`), `deploys ${pkg}`);
      });

      it("copies into the final stage only the deployed package, nothing from the build context or the build stage", () => {
        const deployStage = stages.find((s) => s.instructions.some((i) => i.keyword === "RUN" && /\bdeploy --prod\b/.test(i.args)));
        assert.ok(deployStage?.name, "the deploy stage is named");
        const out = /deploy --prod\s+(\S+)/.exec(deployStage.instructions.find((i) => /deploy --prod/.test(i.args))?.args ?? "")?.[1];
        const copies = final.instructions.filter((i) => i.keyword === "COPY" || i.keyword === "ADD").map((i) => parseCopy(i.args));
        assert.ok(copies.length > 0);
        for (const c of copies) {
          assert.equal(c.from, deployStage.name, `COPY ${c.sources.join(" ")}: from the deploy stage`);
          for (const s of c.sources) assert.equal(posix.normalize(s), posix.normalize(out ?? "?"), `only ${out} (the deployed package)`);
        }
      });

      it("runs as a non-root user", () => {
        const users = final.instructions.filter((i) => i.keyword === "USER").map((i) => i.args);
        const user = users.at(-1);
        assert.ok(user !== undefined, "a USER in the final stage");
        assert.ok(!ROOT_USERS.has(user), `USER ${user}`);
        // Nothing after the USER switches back or runs as root.
        const afterUser = final.instructions.slice(final.instructions.findLastIndex((i) => i.keyword === "USER") + 1);
        assert.ok(!afterUser.some((i) => i.keyword === "RUN"), "no RUN after USER (root-owned work belongs before it)");
      });

      it("runs the service's compiled entry point, which its sources produce", () => {
        const cmd = final.instructions.filter((i) => i.keyword === "CMD").at(-1);
        assert.ok(cmd, "a CMD");
        const argv = execForm(cmd.args);
        assert.deepEqual(argv, ["node", img.main], "exec form, so node is PID 1 and gets SIGTERM");
        const workdir = final.instructions.filter((i) => i.keyword === "WORKDIR").at(-1)?.args;
        const copyDest = final.instructions.filter((i) => i.keyword === "COPY").map((i) => parseCopy(i.args).dest).at(-1);
        assert.equal(posix.normalize(copyDest ?? ""), posix.normalize(workdir ?? "?"), "the package lands in the working directory");
        const source = img.main.replace(/^dist\//, "src/").replace(/\.js$/, ".ts");
        assert.ok(existsSync(join(ROOT, img.dir, source)), `${img.dir}/${source} exists`);
      });

      it("serves health on every address and exposes its ports", () => {
        const env = final.instructions.filter((i) => i.keyword === "ENV").map((i) => i.args).join("\n");
        assert.match(env, /HEALTH_LISTEN="?0\.0\.0\.0:9090"?/);
        const exposed = final.instructions.filter((i) => i.keyword === "EXPOSE").flatMap((i) => i.args.split(/\s+/));
        assert.ok(exposed.includes("9090/tcp"), "the health port");
      });

      it("copies from the build context only paths that exist in the repository", () => {
        for (const stage of stages) {
          for (const i of stage.instructions) {
            if (i.keyword !== "COPY" && i.keyword !== "ADD") continue;
            const c = parseCopy(i.args);
            if (c.from !== undefined) continue;
            for (const s of c.sources) assert.ok(existsSync(join(ROOT, s)), `COPY ${s}: not in the repository`);
          }
        }
      });

      it("is listed in the README with its build command", () => {
        const readme = readFileSync(join(HERE, "README.md"), "utf8");
        assert.ok(readme.includes(`docker build -f deploy/docker/${img.file} -t ${img.image} .`));
      });
    });
  }

  it(".dockerignore keeps host builds and installs out of the build context", () => {
    const lines = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n").map((l) => l.trim());
    for (const p of ["**/node_modules", "**/dist", ".git"]) assert.ok(lines.includes(p), `${p} ignored`);
  });

  it("the Dockerfile reader joins continuations and finds stages", () => {
    const stages = parseStages('ARG X=1\n# c\nFROM a AS one\nRUN echo \\\n  two\nFROM one\nCOPY --from=one --chown=node:node ["/out", "/app"]\n');
    assert.equal(stages.length, 2);
    assert.equal(stages[0]?.name, "one");
    assert.deepEqual(stages[0]?.instructions, [{ keyword: "RUN", args: "echo two" }]);
    assert.deepEqual(parseCopy(stages[1]?.instructions[0]?.args ?? ""), { from: "one", chown: "node:node", sources: ["/out"], dest: "/app" });
  });
});
