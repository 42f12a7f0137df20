'use strict';

exports.hello = async () => 'hello from fastify v1\n';

exports.slow = async (request) => {
  await new Promise((resolve) => setTimeout(resolve, Number(request.query.ms ?? 100)));
  return 'slow v1\n';
};
