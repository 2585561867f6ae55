'use strict';
document.addEventListener('DOMContentLoaded', () => samhand.start('forbidden.html', 'title.forbidden'));
