// Inside an iframe from /embed.js: tell the embedding page our height (and nothing else), and only
// that page's origin, which the server checked against the form's allowed origins.
(function () {
  'use strict'
  var origin = document.body.getAttribute('data-embed-origin')
  if (!origin || window.parent === window || !window.parent.postMessage) return
  var last = 0
  function post () {
    var h = Math.ceil(document.documentElement.getBoundingClientRect().height)
    if (h === last) return
    last = h
    window.parent.postMessage({ type: 'referral-form:height', height: h }, origin)
  }
  if (window.ResizeObserver) new ResizeObserver(post).observe(document.documentElement)
  window.addEventListener('load', post)
  post()
})();

// "Exit this page" (forms with quick_exit): the button, or Shift pressed three times within two
// seconds, replaces the whole window (the top one when embedded) with a neutral site.
(function () {
  'use strict'
  var exit = document.querySelector('[data-quick-exit]')
  if (!exit) return
  function leave (e) {
    if (e) e.preventDefault()
    document.body.hidden = true
    try { window.top.location.replace(exit.href) } catch (err) { window.location.replace(exit.href) }
  }
  exit.addEventListener('click', leave)
  var presses = []
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Shift' || e.repeat) return
    var t = Date.now()
    presses = presses.filter(function (p) { return t - p < 2000 })
    presses.push(t)
    if (presses.length >= 3) leave()
  })
})();

// Progressive enhancement of the form pages. Everything works without this file: it only saves
// round trips (add/remove people, show_if questions) and moves focus the way GOV.UK pages do.
(function () {
  'use strict'
  var summary = document.querySelector('[data-error-summary]')
  if (summary) summary.focus()

  // Error summary links: focus the field and bring its question into view.
  document.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('[data-error-summary] a')
    if (!a) return
    var target = document.getElementById(a.getAttribute('href').slice(1))
    if (!target) return
    e.preventDefault()
    var field = target.closest('.field, .group') || target
    field.scrollIntoView()
    target.focus({ preventScroll: true })
  })

  var form = document.querySelector('[data-form]')
  if (!form) return

  // show_if: hidden until the condition holds. The server ignores a hidden field's answer.
  function valuesOf (name) {
    var out = []
    var els = form.querySelectorAll('[name="' + name.replace(/"/g, '\\"') + '"]')
    for (var i = 0; i < els.length; i++) {
      var el = els[i]
      if ((el.type === 'radio' || el.type === 'checkbox') && !el.checked) continue
      out.push(el.value.trim())
    }
    return out
  }
  function updateConditions () {
    var fields = form.querySelectorAll('[data-show-if]')
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i]
      var wanted = JSON.parse(f.getAttribute('data-show-values') || '[]')
      var have = valuesOf(f.getAttribute('data-show-if'))
      f.hidden = !have.some(function (v) { return wanted.indexOf(v) >= 0 })
      var hint = f.querySelector('[data-condition-hint]')
      if (hint && !hint.hidden) {
        // The condition is said for pages without JavaScript; here the question shows only when it
        // applies, so the hint goes, from the screen and from the inputs' descriptions.
        hint.hidden = true
        var described = f.querySelectorAll('[aria-describedby]')
        for (var j = 0; j < described.length; j++) {
          var ids = described[j].getAttribute('aria-describedby').split(' ').filter(function (x) { return x !== hint.id })
          if (ids.length > 0) described[j].setAttribute('aria-describedby', ids.join(' '))
          else described[j].removeAttribute('aria-describedby')
        }
      }
    }
  }
  form.addEventListener('change', updateConditions)
  form.addEventListener('input', updateConditions)
  updateConditions()

  // People groups: add and remove in the page, renumbering names and ids as the server would.
  var ATTRS = ['name', 'id', 'for', 'aria-describedby', 'data-show-if', 'href']
  function renumber (group) {
    var key = group.getAttribute('data-group')
    var people = group.querySelectorAll('[data-person]')
    var min = Number(group.getAttribute('data-min'))
    var max = Number(group.getAttribute('data-max'))
    for (var i = 0; i < people.length; i++) {
      var p = people[i]
      var els = [p].concat([].slice.call(p.querySelectorAll('*')))
      for (var j = 0; j < els.length; j++) {
        for (var k = 0; k < ATTRS.length; k++) {
          var v = els[j].getAttribute(ATTRS[k])
          if (v === null) continue
          els[j].setAttribute(ATTRS[k], v.split(key + '[').map(function (part, n) {
            return n === 0 ? part : part.replace(/^\d+\]/, i + ']')
          }).join(key + '[').replace(new RegExp('f-' + key + '-\\d+-', 'g'), 'f-' + key + '-' + i + '-'))
        }
      }
      var legend = p.querySelector('legend')
      if (legend) legend.textContent = group.getAttribute('data-person-label').replace('{n}', i + 1)
      var remove = p.querySelector('[data-remove]')
      if (remove) {
        remove.value = 'remove:' + key + ':' + i
        remove.textContent = group.getAttribute('data-remove-label').replace('{n}', i + 1)
        remove.hidden = people.length <= min
      }
    }
    var add = group.querySelector('[data-add]')
    if (add) add.hidden = people.length >= max
  }
  function blank (person) {
    var copy = person.cloneNode(true)
    var errs = copy.querySelectorAll('.error-message')
    for (var i = 0; i < errs.length; i++) errs[i].parentNode.removeChild(errs[i])
    var els = copy.querySelectorAll('input, select, textarea, .field, [aria-describedby]')
    for (var j = 0; j < els.length; j++) {
      var el = els[j]
      el.classList.remove('field--error', 'input--error')
      el.removeAttribute('aria-invalid')
      var d = el.getAttribute('aria-describedby')
      if (d) {
        d = d.split(' ').filter(function (x) { return !/-error$/.test(x) }).join(' ')
        if (d) el.setAttribute('aria-describedby', d); else el.removeAttribute('aria-describedby')
      }
      if (el.type === 'radio' || el.type === 'checkbox') el.checked = false
      else if (el.tagName === 'SELECT') el.selectedIndex = 0
      else if (el.type !== 'hidden' && 'value' in el && el.tagName !== 'BUTTON') el.value = ''
    }
    return copy
  }
  // A blank copy of each group's first person, so a group emptied in the page (min 0) can grow again.
  var spares = {}
  var groups = form.querySelectorAll('[data-group]')
  for (var g = 0; g < groups.length; g++) {
    var firstPerson = groups[g].querySelector('[data-person]')
    if (firstPerson) spares[groups[g].getAttribute('data-group')] = blank(firstPerson)
  }
  form.addEventListener('click', function (e) {
    var button = e.target.closest && e.target.closest('[data-add], [data-remove]')
    if (!button) return
    var group = button.closest('[data-group]')
    var people = group.querySelectorAll('[data-person]')
    if (button.hasAttribute('data-add')) {
      var last = people[people.length - 1]
      var model = last || spares[group.getAttribute('data-group')]
      if (!model) return // no person on the page to copy: the button posts and the server adds one
      e.preventDefault()
      var copy = blank(model)
      if (last) last.parentNode.insertBefore(copy, last.nextSibling)
      else button.parentNode.insertBefore(copy, button)
      renumber(group)
      updateConditions()
      var first = copy.querySelector('input:not([type=hidden]), select, textarea')
      if (first) first.focus()
    } else {
      e.preventDefault()
      var person = button.closest('[data-person]')
      var index = [].indexOf.call(people, person)
      person.parentNode.removeChild(person)
      renumber(group)
      var rest = group.querySelectorAll('[data-person]')
      var next = rest[Math.min(index, rest.length - 1)]
      // Focus the next person's first question or, with nobody left, the add button: never lose it.
      var focus = next ? next.querySelector('input:not([type=hidden]), select, textarea') : group.querySelector('[data-add]')
      if (focus) focus.focus()
    }
  })
})()
