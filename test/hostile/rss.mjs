// Preloaded into the CLI child by hostile.test.ts (node --import): at exit, writes this process's peak
// resident set size in KB (process.resourceUsage().maxRSS) to the file named by HOSTILE_RSS_OUT.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.HOSTILE_RSS_OUT) writeFileSync(process.env.HOSTILE_RSS_OUT, String(process.resourceUsage().maxRSS));
});
