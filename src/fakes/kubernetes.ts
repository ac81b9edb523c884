/**
 * What a Kubernetes pod sees of a Secret or ConfigMap volume, for tests of the code that reads
 * mounted files: the kubelet's layout, with the group-readable mode `fsGroup` gives.
 *
 * @module
 */

/** The timestamped directory the kubelet writes a volume's current contents into. */
const GENERATION = "..2026_01_01_00_00_00.000000001";

/**
 * Writes `files` into `dir` as the kubelet lays out a Secret volume (`<key>` → `..data/<key>`,
 * `..data` → the current generation, each file mode 0440) and returns each key's path.
 */
export async function writeSecretVolume(
  dir: string,
  files: Readonly<Record<string, string>>,
): Promise<Record<string, string>> {
  await Deno.mkdir(`${dir}/${GENERATION}`, { recursive: true });
  await Deno.symlink(GENERATION, `${dir}/..data`);
  const paths: Record<string, string> = {};
  for (const [key, value] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${GENERATION}/${key}`, value);
    await Deno.chmod(`${dir}/${GENERATION}/${key}`, 0o440);
    await Deno.symlink(`..data/${key}`, `${dir}/${key}`);
    paths[key] = `${dir}/${key}`;
  }
  return paths;
}
