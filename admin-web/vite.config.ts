import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The console is served by the stoa binary under /admin/. `npm run dev` proxies the API to a
// running Stoa (STOA_URL, default http://127.0.0.1:8080).
const stoa = process.env.STOA_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/admin/',
  plugins: [react()],
  server: {
    proxy: {
      '/api': { target: stoa, changeOrigin: false },
      '/readyz': { target: stoa, changeOrigin: false },
    },
  },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1500 },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    pool: 'threads',
    maxWorkers: 2,
  },
});
