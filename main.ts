import { VERSION } from "./src/version.ts";

console.log(VERSION);
