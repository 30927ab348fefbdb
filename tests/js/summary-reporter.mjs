// A reporter for `node --test`: a dot per test, each failure in full, then one closing line
// "js: N passed, N failed" (Node's own dot reporter ends on the dots, with no summary at all).
import { inspect } from "node:util";

export default async function* summaryReporter(source) {
  let passed = 0;
  let failed = 0;
  const failures = [];
  for await (const event of source) {
    // Suites (describe blocks and files) report too; only tests count.
    if (event.data?.details?.type === "suite") continue;
    if (event.type === "test:pass") {
      if (event.data.skip || event.data.todo) continue;
      passed += 1;
      yield ".";
    } else if (event.type === "test:fail") {
      failed += 1;
      yield "X";
      const where = event.data.file ? ` (${event.data.file})` : "";
      failures.push(`${event.data.name}${where}\n${inspect(event.data.details?.error, { depth: 4 })}`);
    }
  }
  yield "\n";
  for (const failure of failures) yield `\nFAILED ${failure}\n`;
  yield `js: ${passed} passed, ${failed} failed\n`;
}
