"""Languages, services and locations: the catalogue every staff role may read."""


def test_staff_read_the_languages_and_one_by_its_code(as_carla, languages):
    response = as_carla.get("/api/v1/languages/")
    assert response.status_code == 200
    codes = {item["code"] for item in response.json()["results"]}
    assert {"ar", "ti", "nl"} <= codes

    arabic = as_carla.get("/api/v1/languages/ar/").json()
    assert arabic["endonym"] == "العربية"
    assert arabic["direction"] == "rtl"


def test_staff_read_the_services_and_one_by_its_slug(as_sam, intake, walk_in_service):
    response = as_sam.get("/api/v1/services/")
    assert response.status_code == 200
    assert {item["slug"] for item in response.json()["results"]} == {"intake", "walk-in"}

    service = as_sam.get("/api/v1/services/intake/").json()
    assert service["duration_minutes"] == 30


def test_locations_come_with_their_rooms(as_olga, town_hall):
    response = as_olga.get("/api/v1/locations/")
    assert response.status_code == 200
    [location] = response.json()["results"]
    assert location["name"] == "Stadhuis"
    assert [room["name"] for room in location["rooms"]] == ["Spreekkamer 1"]

    assert as_olga.get(f"/api/v1/locations/{town_hall.pk}/").json()["id"] == town_hall.pk


def test_an_unknown_language_code_is_a_json_404(as_sam, languages):
    response = as_sam.get("/api/v1/languages/xx/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
