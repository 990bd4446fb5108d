/**
 * A small, strict XML parser for the tests: enough of XML 1.0 to prove junit.xml is well-formed
 * (one root, matched tags, quoted unique attributes, only legal characters, only known entity and
 * valid character references) and to read its structure back. It throws on anything else.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Decoded character data directly inside this element. */
  text: string;
}

const NAME = /^[A-Za-z_:][\w.:-]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

function decode(raw: string, where: string): string {
  if (raw.includes('<')) throw new Error(`raw "<" in ${where}`);
  return raw.replace(/&([^;]*);|&/g, (m, ref: string | undefined) => {
    if (ref === undefined) throw new Error(`bare "&" in ${where}`);
    if (ref in ENTITIES) return ENTITIES[ref];
    const num = /^#(\d+)$/.exec(ref) ?? /^#x([0-9a-fA-F]+)$/.exec(ref);
    if (!num) throw new Error(`unknown entity &${ref}; in ${where}`);
    const cp = parseInt(num[1], ref.startsWith('#x') ? 16 : 10);
    if (!isXmlChar(cp)) throw new Error(`reference to an illegal character &${ref}; in ${where}`);
    return String.fromCodePoint(cp);
  });
}

export function parseXml(src: string): XmlElement {
  for (const ch of src) if (!isXmlChar(ch.codePointAt(0)!)) throw new Error(`illegal character U+${ch.codePointAt(0)!.toString(16)}`);
  let i = 0;
  const decl = /^<\?xml[^?]*\?>/.exec(src);
  if (decl) i = decl[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const chunk = lt < 0 ? src.slice(i) : src.slice(i, lt);
    if (stack.length) stack[stack.length - 1].text += decode(chunk, 'text');
    else if (chunk.trim()) throw new Error(`text outside the root: ${JSON.stringify(chunk.slice(0, 40))}`);
    if (lt < 0) break;
    i = lt;
    if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i);
      if (end < 0) throw new Error('unterminated comment');
      i = end + 3;
    } else if (src.startsWith('</', i)) {
      const m = /^<\/([^\s>]+)\s*>/.exec(src.slice(i));
      const open = stack.pop();
      if (!m || !open || open.name !== m[1]) throw new Error(`mismatched close tag at ${i}`);
      i += m[0].length;
    } else {
      i += 1;
      const name = NAME.exec(src.slice(i))?.[0];
      if (!name) throw new Error(`bad tag name at ${i}`);
      i += name.length;
      const el: XmlElement = { name, attrs: {}, children: [], text: '' };
      for (;;) {
        const ws = /^\s*/.exec(src.slice(i))![0];
        i += ws.length;
        if (src.startsWith('/>', i) || src[i] === '>') break;
        if (!ws) throw new Error(`missing space before attribute at ${i}`);
        const a = /^([A-Za-z_:][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/.exec(src.slice(i));
        if (!a) throw new Error(`bad attribute at ${i}: ${src.slice(i, i + 30)}`);
        if (a[1] in el.attrs) throw new Error(`duplicate attribute ${a[1]}`);
        // Attribute-value normalization: literal whitespace characters become spaces.
        el.attrs[a[1]] = decode((a[3] ?? a[4]).replace(/[\t\n\r]/g, ' '), `attribute ${a[1]}`);
        i += a[0].length;
      }
      if (stack.length) stack[stack.length - 1].children.push(el);
      else if (root) throw new Error('second root element');
      else root = el;
      if (src.startsWith('/>', i)) i += 2;
      else {
        i += 1;
        stack.push(el);
      }
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}
