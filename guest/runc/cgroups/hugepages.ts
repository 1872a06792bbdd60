/**
 * Hugepage sizes the kernel supports, named as in cgroup file names ("2MB", "1GB").
 */
import { readdirSync } from 'node:fs';

/** "hugepages-2048kB" → "2MB" (the kernel's own naming in hugetlb.<size>.* files). */
export function pageSizeName(dirName: string): string | undefined {
  const m = /^hugepages-(\d+)kB$/.exec(dirName);
  if (!m) return undefined;
  let size = Number(m[1]);
  for (const unit of ['KB', 'MB', 'GB']) {
    if (size < 1024 || size % 1024 !== 0) return `${size}${unit}`;
    size /= 1024;
  }
  return `${size}TB`;
}

export function hugepageSizes(): string[] {
  try {
    return readdirSync('/sys/kernel/mm/hugepages').flatMap((d) => pageSizeName(d) ?? []);
  } catch {
    return []; // no hugetlbfs support in this kernel
  }
}
