/** A file part of a multipart/form-data request, kept byte for byte. */
export interface UploadedFile {
  /** The part's name, i.e. what `attach://<name>` refers to. */
  field: string;
  filename: string | undefined;
  contentType: string | undefined;
  data: Buffer;
}

/** A parsed multipart/form-data body: text fields and file parts, by part name. */
export interface MultipartBody {
  fields: Map<string, string>;
  files: Map<string, UploadedFile>;
}

/** Why a body could not be read as multipart/form-data. */
export class MultipartError extends Error {
  override name = 'MultipartError';
}

/** The `boundary` parameter of a `multipart/form-data` Content-Type, quoted or not. */
export function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Parses a multipart/form-data body (RFC 7578). Parts are separated by `CRLF--boundary`, so a
 * boundary-like sequence inside file bytes that is not preceded by CRLF does not split a part, and
 * file bytes that end in CR or LF keep them. grammY writes `content-disposition:form-data;name=...`
 * without spaces and with unquoted filenames; other clients quote and space them: both are read.
 */
export function parseMultipart(body: Buffer, boundary: string): MultipartBody {
  const delimiter = Buffer.from(`--${boundary}`);
  const separator = Buffer.concat([CRLF, delimiter]);
  const fields = new Map<string, string>();
  const files = new Map<string, UploadedFile>();

  // The first delimiter may follow a preamble, and is not preceded by CRLF when it opens the body.
  let cursor = body.subarray(0, delimiter.length).equals(delimiter) ? 0 : body.indexOf(separator);
  if (cursor === -1) throw new MultipartError('no opening boundary');
  cursor += cursor === 0 ? delimiter.length : separator.length;

  for (;;) {
    if (body.subarray(cursor, cursor + 2).toString('latin1') === '--') break; // close delimiter
    // Transport padding (spaces, tabs) may sit between the boundary and its line break.
    while (body[cursor] === 0x20 || body[cursor] === 0x09) cursor += 1;
    if (!body.subarray(cursor, cursor + 2).equals(CRLF)) throw new MultipartError('malformed boundary line');
    const partStart = cursor + 2;
    const partEnd = body.indexOf(separator, partStart);
    if (partEnd === -1) throw new MultipartError('missing closing boundary');
    readPart(body.subarray(partStart, partEnd), fields, files);
    cursor = partEnd + separator.length;
  }
  return { fields, files };
}

function readPart(part: Buffer, fields: Map<string, string>, files: Map<string, UploadedFile>): void {
  const headerEnd = part.indexOf(HEADER_END);
  // A part with headers only and no body is legal (an empty field); its headers end the part.
  const rawHeaders = part.subarray(0, headerEnd === -1 ? part.length : headerEnd).toString('utf8');
  const data = headerEnd === -1 ? Buffer.alloc(0) : part.subarray(headerEnd + HEADER_END.length);

  const headers = new Map<string, string>();
  for (const line of rawHeaders.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const disposition = headers.get('content-disposition');
  if (disposition === undefined) throw new MultipartError('part without content-disposition');
  const params = dispositionParams(disposition);
  const name = params.get('name');
  if (name === undefined) throw new MultipartError('part without a name');

  const filename = params.get('filename');
  if (filename === undefined) {
    fields.set(name, data.toString('utf8'));
  } else {
    // Copy: the part is a view into the whole request body, which we do not want to keep alive.
    files.set(name, {
      field: name,
      filename,
      contentType: headers.get('content-type'),
      data: Buffer.from(data),
    });
  }
}

function dispositionParams(disposition: string): Map<string, string> {
  const params = new Map<string, string>();
  const pattern = /;\s*([\w*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (const match of disposition.matchAll(pattern)) {
    const key = match[1]?.toLowerCase();
    if (key === undefined) continue;
    const value = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '').trim();
    params.set(key, value);
  }
  return params;
}
