import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/*
 * The README's table of the construct's props, generated from their TSDoc, so the defaults are
 * written in one place (the props interfaces). test/readme-props.test.ts checks the README holds
 * what this renders; `npm run docs:props` writes it there.
 */

const ROOT = path.join(__dirname, '..', '..');
const START = '<!-- props:start (npm run docs:props writes this table from the TSDoc in lib/) -->';
const END = '<!-- props:end -->';

/** The interfaces a consumer fills in, with the file each is declared in. */
const DOCUMENTED: [name: string, file: string][] = [
  ['ElevenLabsWebhookReceiverProps', 'lib/webhook-receiver.ts'],
  ['ApiReconciliationOptions', 'lib/api-reconciliation.ts'],
  ['DeletionSweepOptions', 'lib/deletion-sweep.ts'],
];

interface Prop {
  readonly name: string;
  readonly type: string;
  readonly summary: string;
  readonly defaultValue: string;
}

/** One line of Markdown from TSDoc text: `{@link X}` as `X`, line breaks as spaces, `|` escaped. */
const oneLine = (text: string) =>
  text
    .replace(/\{@link\s+([^}\s]+)\s*\}/g, '`$1`')
    .replace(/\s+/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();

/** `@default - words` describes a default; `@default value (note)` is the value, then a note. */
function renderDefault(text: string): string {
  if (text === '' || text.startsWith('- ')) return text.slice(2);
  const note = text.indexOf(' (');
  return note === -1 ? `\`${text}\`` : `\`${text.slice(0, note)}\`${text.slice(note)}`;
}

function propsOf(interfaceName: string, file: string): Prop[] {
  const source = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.ES2022, true);
  const declaration = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === interfaceName);
  if (!declaration) throw new Error(`${interfaceName} is not declared in ${file}`);
  return declaration.members.filter(ts.isPropertySignature).map((member) => {
    const [doc] = ts.getJSDocCommentsAndTags(member).filter(ts.isJSDoc);
    const defaultTag = doc?.tags?.find((tag) => tag.tagName.text === 'default');
    const defaultText = oneLine(ts.getTextOfJSDocComment(defaultTag?.comment) ?? '');
    return {
      name: member.name.getText(source),
      type: member.type!.getText(source),
      summary: oneLine(ts.getTextOfJSDocComment(doc?.comment) ?? ''),
      defaultValue: renderDefault(defaultText),
    };
  });
}

/** The README block: one table per interface, every prop with its type, default and meaning. */
export function renderPropsTables(): string {
  const tables = DOCUMENTED.map(([name, file]) => {
    const rows = propsOf(name, file).map((p) => `| \`${p.name}\` | \`${oneLine(p.type)}\` | ${p.defaultValue} | ${p.summary} |`);
    return [`**\`${name}\`** (\`${file}\`), all optional:`, '', '| Prop | Type | Default | What it does |', '|---|---|---|---|', ...rows].join('\n');
  });
  return [START, '', tables.join('\n\n'), '', END].join('\n');
}

/** The README's block as it is now, or undefined when the markers are missing. */
export function readmePropsBlock(readme: string): string | undefined {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  return start === -1 || end === -1 ? undefined : readme.slice(start, end + END.length);
}

if (require.main === module) {
  const file = path.join(ROOT, 'README.md');
  const readme = fs.readFileSync(file, 'utf8');
  const current = readmePropsBlock(readme);
  if (current === undefined) throw new Error(`README.md lacks the markers ${START} ... ${END}`);
  fs.writeFileSync(file, readme.replace(current, renderPropsTables()));
  console.log('README.md: props tables written from the TSDoc.');
}
