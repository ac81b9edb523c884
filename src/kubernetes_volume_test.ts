import assert from "node:assert/strict";
import { writeSecretVolume } from "./fakes/kubernetes.ts";
import { isKubernetesVolumeFile } from "./kubernetes_volume.ts";

Deno.test("files of a Kubernetes Secret volume are recognised, other files and links are not", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { auth_id } = await writeSecretVolume(dir, { auth_id: "x" });
    await Deno.writeTextFile(`${dir}/plain`, "x");
    await Deno.symlink("plain", `${dir}/link`);
    assert.equal(await isKubernetesVolumeFile(auth_id), true);
    assert.equal(await isKubernetesVolumeFile(`${dir}/plain`), false);
    assert.equal(await isKubernetesVolumeFile(`${dir}/link`), false);
    assert.equal(await isKubernetesVolumeFile(`${dir}/missing`), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
