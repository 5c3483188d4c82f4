// Puts a referral form in an iframe where this script tag stands:
//   <script src="https://forms.example.org/embed.js" data-form="carers-referral" async></script>
// The iframe is full width and its height follows the form's content (the page inside posts its
// height, and only that, to this page's origin). Several forms on one page work. The server serves this
// file wrapped in a function of ORIGIN (ours) and TITLES (form id → title): see src/routes/embed.ts.
/* global ORIGIN, TITLES */
(function () {
  'use strict'
  var script = document.currentScript
  if (!script || script.getAttribute('data-embedded') === '1') return
  script.setAttribute('data-embedded', '1')
  var id = script.getAttribute('data-form') || ''
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) {
    if (window.console) console.warn('embed.js: data-form must name a form, like data-form="carers-referral"')
    return
  }
  var formUrl = ORIGIN + '/forms/' + id
  var iframe = document.createElement('iframe')
  iframe.src = formUrl + '?embed=' + encodeURIComponent(location.origin)
  iframe.title = script.getAttribute('data-title') || TITLES[id] || 'Referral form'
  iframe.style.cssText = 'display:block;width:100%;min-width:100%;border:0;height:600px;overflow:hidden'
  iframe.setAttribute('scrolling', 'no')
  iframe.setAttribute('loading', 'lazy')
  var link = document.createElement('p')
  var a = document.createElement('a')
  a.href = formUrl
  a.textContent = script.getAttribute('data-link-text') || 'Open the form in its own page'
  link.appendChild(a)
  script.parentNode.insertBefore(iframe, script)
  script.parentNode.insertBefore(link, script)

  window.addEventListener('message', function (e) {
    if (e.origin !== ORIGIN || e.source !== iframe.contentWindow) return
    var d = e.data
    if (!d || d.type !== 'referral-form:height') return
    var h = Math.round(Number(d.height))
    if (!(h >= 100 && h <= 50000)) return
    iframe.style.height = h + 'px'
  })

  // A new page inside (errors, confirmation): bring the top of the form to the top of the window, even
  // when part of it shows already (the page inside may have scrolled us to its focused error summary).
  // A host page with a fixed header can keep clear of it with `scroll-margin-top` on the iframe.
  var loads = 0
  iframe.addEventListener('load', function () {
    loads++
    if (loads < 2) return
    if (Math.abs(iframe.getBoundingClientRect().top) > 1) iframe.scrollIntoView({ block: 'start' })
  })
})()
