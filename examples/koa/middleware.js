'use strict';

module.exports = async function routes(ctx, next) {
  if (ctx.path === '/slow') {
    await new Promise((resolve) => setTimeout(resolve, Number(ctx.query.ms ?? 100)));
    ctx.body = 'slow v1\n';
    return;
  }
  if (ctx.path !== '/') return next();
  ctx.body = 'hello from koa v1\n';
};
