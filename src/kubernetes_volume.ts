/**
 * Recognises files that Kubernetes projects into a pod from a Secret or ConfigMap volume. Their
 * mode is set by the pod spec, not by `chmod`: a non-root container can read them only through
 * their group (`fsGroup`) or other bits, and only that pod sees them. So the "readable by other
 * users: run chmod 600" warnings about secret files do not apply to them. No third-party code:
 * the config loader and the identity loader both use it.
 *
 * @module
 */

/**
 * Whether `path` is a file of a Kubernetes Secret or ConfigMap volume: the kubelet writes each
 * key as a link to `..data/<key>` (and swaps `..data` atomically on updates).
 */
export async function isKubernetesVolumeFile(path: string): Promise<boolean> {
  try {
    return (await Deno.readLink(path)).startsWith("..data/");
  } catch {
    // Not a link, or not one this process may inspect: an ordinary file.
    return false;
  }
}
