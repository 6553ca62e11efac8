/** The README's generated sections (variables, exit codes), formatted as prettier formats the README. */
import { format } from "prettier";
import { exitCodesTable, toolPermissionsTable, variablesTable } from "../src/docs.ts";

const SECTIONS = { variables: variablesTable, "exit-codes": exitCodesTable, "tool-permissions": toolPermissionsTable } as const;

/** Each generated section, between its markers, as it must appear in the README. */
export async function generatedSections(): Promise<{ name: string; block: string }[]> {
  return Promise.all(
    Object.entries(SECTIONS).map(async ([name, table]) => {
      const raw = `<!-- ${name}:start -->\n\n${table()}\n\n<!-- ${name}:end -->\n`;
      const block = (await format(raw, { parser: "markdown", printWidth: 180 })).trimEnd();
      return { name, block };
    }),
  );
}

/** The README with every generated section replaced. */
export async function regenerate(readme: string): Promise<string> {
  let out = readme;
  for (const { name, block } of await generatedSections()) {
    out = out.replace(new RegExp(`<!-- ${name}:start -->[\\s\\S]*?<!-- ${name}:end -->`), () => block);
  }
  return out;
}
