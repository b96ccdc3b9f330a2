@mnotify @contacts @herald-design
Feature: MNotify contacts
  As the developer of a sender information system
  I want to register a citizen's contact channels and check that they can be reached
  So that my notices do not silently go nowhere

  The vendor advertises contact management without publishing its endpoints: the whole API
  here is Herald's design. {idnp} is a 13-digit IDNP fresh for each scenario, so that a run never
  meets the contacts of an earlier one.

  Background:
    Given I am MNotify sender "sender-a"

  @mutating
  Scenario: A contact is added and listed
    When I send an MNotify POST to "/api/Contact" with:
      """
      {"idnp": "{idnp}", "type": "Email", "value": "new.person@example.md", "language": "ro"}
      """
    Then the MNotify answer is an id remembered as "contact"
    When I send an MNotify GET to "/api/Contact?Idnp={idnp}"
    Then the MNotify answer is a list of 1 items
    And the MNotify answer has "[0].id" equal to "{contact}"
    And the MNotify answer has "[0].type" equal to "Email"

  @mutating
  Scenario: The same contact cannot be added twice
    When I send an MNotify POST to "/api/Contact" with:
      """
      {"idnp": "{idnp}", "type": "Email", "value": "twice@example.md"}
      """
    And I send an MNotify POST to "/api/Contact" with:
      """
      {"idnp": "{idnp}", "type": "Email", "value": "twice@example.md"}
      """
    Then the MNotify answer is a problem 409

  @mutating
  Scenario: A person with an email contact exists and can be reached
    When I send an MNotify POST to "/api/Contact" with:
      """
      {"idnp": "{idnp}", "type": "Email", "value": "reachable@example.md"}
      """
    And I send an MNotify GET to "/api/Contact/{idnp}/exists"
    Then the MNotify answer has "exists" equal to "true"
    And the MNotify answer has "hasActiveChannel" equal to "true"

  @mutating
  Scenario: The personal cabinet alone does not count as an active channel
    When I send an MNotify POST to "/api/Contact" with:
      """
      {"idnp": "{idnp}", "type": "MCabinet", "value": "{idnp}"}
      """
    And I send an MNotify GET to "/api/Contact/{idnp}/exists"
    Then the MNotify answer has "exists" equal to "true"
    And the MNotify answer has "hasActiveChannel" equal to "false"

  Scenario: An unknown person does not exist
    When I send an MNotify GET to "/api/Contact/{idnp}/exists"
    Then the MNotify answer has "exists" equal to "false"

  @mutating
  Scenario: The preferred language is set
    When I send an MNotify POST to "/api/Contact" with:
      """
      {"idnp": "{idnp}", "type": "Email", "value": "lang@example.md"}
      """
    And I send an MNotify PUT to "/api/Contact/{idnp}/language" with:
      """
      {"language": "ru"}
      """
    Then the MNotify answer has "" equal to "{idnp}"
    When I send an MNotify GET to "/api/Contact/{idnp}/exists"
    Then the MNotify answer has "language" equal to "ru"

  @mutating
  Scenario: The language of an unknown person cannot be set
    When I send an MNotify PUT to "/api/Contact/{idnp}/language" with:
      """
      {"language": "en"}
      """
    Then the MNotify answer is a problem 404

  @mutating
  Scenario: A contact needs a 13-digit IDNP
    When I send an MNotify POST to "/api/Contact" with:
      """
      {"idnp": "28888", "type": "Email", "value": "short@example.md"}
      """
    Then the MNotify answer is a problem 400 naming "Idnp"
