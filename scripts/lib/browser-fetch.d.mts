/** fetch that resends on a kept-alive connection closed before any response, as browsers do. */
export declare function browserFetch(
  url: string,
  init: () => RequestInit,
): Promise<{ res: Response; resent: number }>;
