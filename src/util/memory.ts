/** Peak resident memory of this process so far, in MB (the kernel's high-water mark). */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
