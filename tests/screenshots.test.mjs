// docs/screens.md pictures every screen scripts/screenshots.mjs knows, and
// each picture is a real PNG of the iFrame's size.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "../scripts/stack.mjs";
import { SCREENS } from "../scripts/screenshots.mjs";

test("docs/screens.md shows a screenshot of every screen", async () => {
  const doc = await readFile(join(ROOT, "docs", "screens.md"), "utf8");
  assert.ok(SCREENS.length >= 12);
  for (const [name] of SCREENS) {
    assert.ok(doc.includes(`(screens/${name}.png)`), `docs/screens.md does not show ${name}`);
    const png = await readFile(join(ROOT, "docs", "screens", `${name}.png`));
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${name}.png is not a PNG`);
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    assert.ok(width >= 300 && height >= 360, `${name}.png is ${width}×${height}, smaller than the screen's minimum`);
  }
});
