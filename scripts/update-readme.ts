/** Regenerates the README's variable and exit-code tables from the code (`npm run docs`). */
import { readFileSync, writeFileSync } from "node:fs";
import { exitCodesTable, variablesTable } from "../src/docs.ts";

const path = new URL("../README.md", import.meta.url);
let readme = readFileSync(path, "utf8");
readme = readme.replace(/<!-- variables:start -->[\s\S]*?<!-- variables:end -->/, `<!-- variables:start -->\n${variablesTable()}\n<!-- variables:end -->`);
readme = readme.replace(/<!-- exit-codes:start -->[\s\S]*?<!-- exit-codes:end -->/, `<!-- exit-codes:start -->\n${exitCodesTable()}\n<!-- exit-codes:end -->`);
writeFileSync(path, readme);
