@mopay @locations @mopay-account
Feature: Mopay location data
  As an integrator of Mopay
  I want to fetch location records by country, state, city or marker, a page at a time
  So that my app can show where an account was used

  The vendor documents the filters (rtyp and rqvl, rqvl alone being a marker) and the
  not_found error; which field states and cities match, the order of the records and the size
  of a page are Herald's (@herald-design, @simulator). The scenarios take their values from
  the target's own records, so that they hold whatever data a deployment has.

  Background:
    Given I am signed in to Mopay

  Scenario: Without parameters every location is returned
    When I call "user_location_fetch" signed
    Then the call succeeds
    And DATA holds at least 1 record

  @herald-design
  Scenario: Locations come newest first
    When I call "user_location_fetch" signed
    Then the call succeeds
    And the records in DATA are newest first

  Scenario: rtyp=countries filters on the country
    When I call "user_location_fetch" signed
    And I remember the cntiso of the first record in DATA
    And I call "user_location_fetch" signed with query "rtyp=countries&rqvl={country}"
    Then the call succeeds
    And DATA holds at least 1 record
    And every record in DATA has "cntiso" equal to "{country}"

  @herald-design
  Scenario Outline: rtyp=<rtyp> filters on <field>
    When I call "user_location_fetch" signed with query "rtyp=<rtyp>&rqvl=<value>"
    Then the call succeeds
    And every record in DATA has "<field>" equal to "<value>"

    Examples:
      | rtyp   | field  | value   |
      | states | region | England |
      | cities | city   | Lagos   |

  Scenario: With rqvl and no rtyp, rqvl is a marker
    The vendor's own example shows two records with one marker: a marker may match more than one.

    When I call "user_location_fetch" signed
    And I remember the marker of the first record in DATA
    And I call "user_location_fetch" signed with query "rqvl={marker}"
    Then the call succeeds
    And DATA holds at least 1 record
    And every record in DATA has "marker" equal to "{marker}"

  @herald-design
  Scenario: Herald's markers are unique
    When I call "user_location_fetch" signed
    And I remember the marker of the first record in DATA
    And I call "user_location_fetch" signed with query "rqvl={marker}"
    Then the call succeeds
    And DATA holds 1 record

  @simulator
  Scenario: With page, locations come 15 at a time
    When I call "user_location_fetch" signed with query "page=123456789001"
    Then the call succeeds
    And DATA holds 15 records
    And the records in DATA are newest first

  Scenario: A filter that matches nothing is not_found, a 400
    When I call "user_location_fetch" signed with query "rtyp=countries&rqvl=ZZ"
    Then the call fails with MSG "not_found" and code 400

  Scenario: On this action a missing signature is named as a MSG, not an ID
    When I call "user_location_fetch" without signing
    Then the call fails with MSG "rqat_required" and code 401
