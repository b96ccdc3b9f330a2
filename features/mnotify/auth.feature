@mnotify @auth
Feature: MNotify client-certificate authentication
  As the developer of a sender information system
  I want MNotify to accept my registered client certificate and refuse every other one
  So that my system authenticates against the real MNotify on the first try

  The certificate is the only credential: MPass maps its serial number to the sender.
  401 means the caller could not be identified, 403 that the identified caller is not allowed.
  A scenario tagged @cert-<role> needs that role's certificate: a run against a target without it
  leaves the scenario out.

  Scenario: A registered certificate is accepted
    Given I am MNotify sender "sender-a"
    When I send an MNotify GET to "/api/Notification"
    Then the MNotify answer is 200

  Scenario: A request without a client certificate is refused
    Given I present no MNotify client certificate
    When I send an MNotify GET to "/api/Notification"
    Then the MNotify answer is a problem 401

  Scenario Outline: A certificate MPass would not accept is refused
    The vendor documents 401 and 403 for refused callers; which one each case gets, and the
    ProblemDetails body, are Herald's reading (checked below, against a Herald only).

    Given I am MNotify sender "<role>"
    When I send an MNotify GET to "/api/Template"
    Then the MNotify answer refuses the caller

    @cert-expired
    Examples: past its validity
      | role    |
      | expired |

    @cert-foreign
    Examples: issued by another CA
      | role    |
      | foreign |

    @cert-unregistered
    Examples: not in MPass
      | role         |
      | unregistered |

    @cert-revoked
    Examples: revoked in MPass
      | role    |
      | revoked |

  @herald-design
  Scenario Outline: Certificates that cannot identify the caller are refused with 401
    Given I am MNotify sender "<role>"
    When I send an MNotify GET to "/api/Template"
    Then the MNotify answer is a problem 401

    @cert-expired
    Examples: past its validity
      | role    |
      | expired |

    @cert-foreign
    Examples: issued by another CA
      | role    |
      | foreign |

  @herald-design
  Scenario Outline: Valid certificates that MPass does not authorise are refused with 403
    Given I am MNotify sender "<role>"
    When I send an MNotify GET to "/api/Template"
    Then the MNotify answer is a problem 403

    @cert-unregistered
    Examples: not in MPass
      | role         |
      | unregistered |

    @cert-revoked
    Examples: revoked in MPass
      | role    |
      | revoked |

  @simulator @herald-design @cert-sender-b @mutating
  Scenario: A certificate revoked in MPass is refused at once
    Given MPass revokes the MNotify certificate of "sender-b"
    And I am MNotify sender "sender-b"
    When I send an MNotify GET to "/api/Notification"
    Then the MNotify answer is a problem 403

  @simulator @cert-unregistered @mutating
  Scenario: A certificate registered in MPass is accepted at once
    Given MPass registers the MNotify certificate of "unregistered"
    And I am MNotify sender "unregistered"
    When I send an MNotify GET to "/api/Notification"
    Then the MNotify answer is 200

  @cert-sender-b @mutating
  Scenario: A sender cannot read another sender's notification
    Given I am MNotify sender "sender-a"
    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "Titlu"}, "body": {"ro": "Corpul mesajului"}, "bodyShort": {"ro": "Corpul mesajului"},
       "recipients": [{"value": "someone@example.md", "type": "Email"}], "priority": "Low"}
      """
    Then the MNotify answer is an id remembered as "theirs"
    Given I am MNotify sender "sender-b"
    When I send an MNotify GET to "/api/Notification/{theirs}"
    Then the MNotify answer is a problem 403

  @cert-sender-b @mutating
  Scenario: A sender cannot cancel another sender's notification
    Given I am MNotify sender "sender-a"
    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "Titlu"}, "body": {"ro": "Corpul mesajului"}, "bodyShort": {"ro": "Corpul mesajului"},
       "recipients": [{"value": "someone@example.md", "type": "Email"}], "priority": "Low"}
      """
    Then the MNotify answer is an id remembered as "theirs"
    Given I am MNotify sender "sender-b"
    When I send an MNotify DELETE to "/api/Notification/{theirs}"
    Then the MNotify answer is a problem 403

  @cert-sender-b @mutating
  Scenario: A sender cannot update another sender's template
    Given I am MNotify sender "sender-a"
    When I send an MNotify POST to "/api/Template" with:
      """
      {"name": "Isolation update {unique}", "description": "d", "subject": {"ro": "S"}, "body": {"ro": "B"}, "bodyShort": {"ro": "B"}}
      """
    Then the MNotify answer is an id remembered as "their template"
    Given I am MNotify sender "sender-b"
    When I send an MNotify PUT to "/api/Template/{their template}" with:
      """
      {"name": "Taken over {unique}", "description": "d", "subject": {"ro": "S"}, "body": {"ro": "B"}, "bodyShort": {"ro": "B"}}
      """
    Then the MNotify answer is a problem 403

  @cert-sender-b @mutating
  Scenario: A sender cannot change another sender's template
    Given I am MNotify sender "sender-a"
    When I send an MNotify POST to "/api/Template" with:
      """
      {"name": "Isolation check {unique}", "description": "d", "subject": {"ro": "S"}, "body": {"ro": "B"}, "bodyShort": {"ro": "B"}}
      """
    Then the MNotify answer is an id remembered as "their template"
    Given I am MNotify sender "sender-b"
    When I send an MNotify DELETE to "/api/Template/{their template}"
    Then the MNotify answer is a problem 403
