/** The DM_ERR code a promise rejects with, or 'no error' when it resolves. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'no error',
    (err: { code?: string }) => err.code ?? String(err),
  );
}
