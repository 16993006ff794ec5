/* Nearest cinema: asks the browser for its position only when the member clicks, posts it
   (rounded to about 100 m) with the CSRF token, and lists the nearest cinemas. The position
   never goes into a URL and the server neither stores nor logs it. Without JavaScript or
   geolocation the button stays hidden and the cinema list in the filter form still works. */
(function () {
  "use strict";
  var form = document.getElementById("nearest-form");
  if (!form || !("geolocation" in navigator) || !window.fetch || !window.FormData) {
    return;
  }
  var button = form.querySelector("button");
  var status = document.getElementById("nearest-status");
  var list = document.getElementById("nearest-list");
  var select = document.getElementById("id_cinema");
  form.hidden = false;

  function say(text) {
    status.textContent = text;
  }

  function show(cinemas) {
    list.textContent = "";
    cinemas.forEach(function (cinema) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = cinema.url;
      link.textContent = cinema.name;
      item.appendChild(link);
      item.appendChild(document.createTextNode(
        " · " + cinema.city + ", " + cinema.address + " (" + cinema.distance_km + " " + form.dataset.msgKm + ")"
      ));
      list.appendChild(item);
    });
    if (select && cinemas.length) {
      select.value = String(cinemas[0].id);
    }
    say(cinemas.length ? form.dataset.msgFound : form.dataset.msgFailed);
  }

  function lookUp(position) {
    var body = new FormData(form); // carries csrfmiddlewaretoken
    body.append("latitude", position.coords.latitude.toFixed(3));
    body.append("longitude", position.coords.longitude.toFixed(3));
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) {
            throw new Error(data.error || "failed");
          }
          show(data.cinemas);
        });
      })
      .catch(function () {
        say(form.dataset.msgFailed);
      })
      .then(function () {
        button.disabled = false;
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    list.textContent = "";
    say(form.dataset.msgLocating);
    navigator.geolocation.getCurrentPosition(lookUp, function () {
      say(form.dataset.msgDenied);
      button.disabled = false;
    }, { timeout: 15000, maximumAge: 600000 });
  });
})();
