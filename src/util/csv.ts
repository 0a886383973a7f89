// CSV fields (RFC 4180) for the parsers of MovieLens files and the writers of synthetic ones.

/**
 * Splits one CSV record (RFC 4180: quoted fields, doubled quotes inside them; the record may hold
 * newlines inside quotes). Returns the fields, or a string saying why the record is malformed.
 */
export function splitCsvRecord(record: string): string[] | string {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (record.charCodeAt(i) === 34) {
      i++;
      for (;;) {
        const q = record.indexOf('"', i);
        if (q < 0) return 'unterminated quoted field';
        field += record.slice(i, q);
        if (record.charCodeAt(q + 1) === 34) {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      if (i < record.length && record.charCodeAt(i) !== 44) return `unexpected text after a closing quote at column ${i + 1}`;
    } else {
      const comma = record.indexOf(',', i);
      const end = comma < 0 ? record.length : comma;
      field = record.slice(i, end);
      if (field.includes('"')) return `stray quote in an unquoted field at column ${i + 1}`;
      i = end;
    }
    fields.push(field);
    if (i >= record.length) return fields;
    i++; // the comma
  }
}

/** A CSV field, quoted when it holds a comma, a quote or a line break. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
