// 移动检查应用的 service worker (docs/mobile.md §8.1): keeps the app — one HTML file, its
// manifest and icons — in the phone's cache, so that the page opens with the network cut once
// it has been opened over HTTPS (or http://127.0.0.1). `gongkai task app` writes APP below: the
// SHA-256 of the HTML file it generated; the worker caches that file only if the bytes it
// fetches are exactly those (a changed file is not installed), and a regenerated app (new
// bytes, new hash, so a new worker) replaces the cached one at the next visit with a network.
"use strict";
const APP = /*APP*/;
const CACHE = `${APP.cache}/${APP.sha256}`;

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
const bare = (url) => {
  const u = new URL(url, self.location.href);
  u.search = "";
  u.hash = "";
  return u.href;
};

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const page = self.registration.scope;
    const response = await fetch(page, { cache: "no-store" });
    const bytes = await response.clone().arrayBuffer();
    if (!response.ok || hex(await crypto.subtle.digest("SHA-256", bytes)) !== APP.sha256) {
      throw new Error("应用文件与生成时不一致，不缓存");
    }
    const cache = await caches.open(CACHE);
    await cache.put(page, response);
    await cache.addAll(APP.files.map(bare));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith(`${APP.cache}/`) && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  if (event.request.method !== "GET") return;
  event.respondWith((async () => {
    const hit = await (await caches.open(CACHE)).match(bare(event.request.url));
    return hit || fetch(event.request);
  })());
});
