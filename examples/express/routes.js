'use strict';
const { Router } = require('express');

const router = Router();
router.get('/', (req, res) => res.send('hello from express v1\n'));
router.get('/slow', (req, res) => setTimeout(() => res.send('slow v1\n'), Number(req.query.ms ?? 100)));

module.exports = router;
